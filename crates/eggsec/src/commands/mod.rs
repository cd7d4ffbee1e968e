//! One module per command; `run` dispatches.

mod advisories;
mod audit;
mod config;
mod deps;
mod fix;
mod html;
mod init;
pub mod logs;
mod plugins;
mod probe;
mod routes;
mod rules;
mod watch;
// (new command modules go above this line)

use crate::cli::{AppArgs, Cli, Command};
use anyhow::{bail, Context, Result};
use eggsec_app::{AppModel, DiagnosticLevel, LoadOptions};
use std::process::ExitCode;

/// Called before the arguments are parsed (clap takes ≈ 0.4 ms): when the first word that is
/// not an option is `audit`, the audit's warm-up (`audit::warm_up`) starts now instead of
/// after. A guess only: a word that is an option's value (`--timeout 30 audit`) starts
/// nothing early, and the audit starts it when it runs; the results are the same either way.
pub fn prestart(first_word: Option<&std::ffi::OsStr>) {
    if first_word.is_some_and(|w| w == "audit") {
        audit::warm_up();
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    // One pass over a tree that does not change while it runs, and writes nothing it reads
    // back: each directory is listed and each file read once (see `eggsec_fs`). Commands that
    // write (`fix`, `init`, `scaffold`, `testgen`) or run for long (`watch`) ask the file
    // system every time.
    let scope = match &cli.command {
        Command::Audit(a) => Some(&a.app.path),
        Command::Config(a) => Some(&a.app.path),
        Command::Plugins(a) => Some(&a.app.path),
        Command::Routes(a) => Some(&a.app.path),
        _ => None,
    };
    // EGGSEC_FS_CACHE=0 asks the file system every time (the differential test compares both)
    let off = std::env::var_os("EGGSEC_FS_CACHE").is_some_and(|v| v == "0");
    if let (Some(scope), false) = (scope, off) {
        eggsec_fs::enable(scope);
    }
    match cli.command {
        Command::Audit(a) => audit::run(a),
        Command::Config(a) => config::run(a),
        Command::Plugins(a) => plugins::run(a),
        Command::Rules(a) => rules::list(a),
        Command::Rule(a) => rules::show(a),
        Command::Routes(a) => routes::run(a),
        Command::Fix(a) => fix::run(a),
        Command::Scaffold(a) => fix::scaffold(a),
        Command::Testgen(a) => fix::testgen(a),
        Command::Probe(a) => probe::run(a),
        Command::Deps(a) => deps::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Advisories(a) => advisories::run(a),
        Command::Logs(a) => logs::run(a),
        Command::Init(a) => init::run(a),
        // (new command arms go above this line)
    }
}

/// Builds the model of every app under `args.path` (or from a runtime dump) for `env`.
/// Load diagnostics are printed to stderr, naming the file; the run goes on.
pub fn load_models(args: &AppArgs, env: Option<&str>) -> Result<Vec<AppModel>> {
    Ok(load_models_and_failures(args, env)?.0)
}

/// An app that was found but could not be loaded: its root and why.
pub type FailedApp = (std::path::PathBuf, String);

/// Like [`load_models`], also returning each app found that could not be loaded (its root and
/// why), so that a monorepo run never drops an app silently.
pub fn load_models_and_failures(
    args: &AppArgs,
    env: Option<&str>,
) -> Result<(Vec<AppModel>, Vec<FailedApp>)> {
    if let Some(dir) = &args.runtime_dump {
        let dump = eggsec_app::read_runtime_dump(dir)
            .with_context(|| format!("reading runtime dump in {}", dir.display()))?;
        let model = eggsec_app::model_from_dump(&dump);
        print_diagnostics(&model);
        return Ok((vec![model], Vec::new()));
    }
    if !args.path.exists() {
        bail!("{}: no such file or directory", args.path.display());
    }
    let mut roots = eggsec_js::timing::time("discovery", || eggsec_app::discover(&args.path));
    if roots.is_empty() {
        // Run from inside an app (`app/`, `app/controller/`...): its root is found upward, as
        // git finds its repository.
        if let Some(root) = app_root_above(&args.path) {
            roots.push(root);
        }
    }
    if roots.is_empty() {
        bail!(eggsec_app::AppError::NotAnApp(args.path.clone()));
    }
    let opts = LoadOptions {
        env: env.map(str::to_string),
        scope: None,
        embedded_defaults_only: args.embedded_defaults,
    };
    let mut models = Vec::with_capacity(roots.len());
    let mut failed = Vec::new();
    for root in roots {
        if let Some(env) = env {
            warn_unknown_env(&root, env);
        }
        match eggsec_app::load(&root, &opts) {
            Ok(m) => {
                print_diagnostics(&m);
                models.push(m);
            }
            Err(e) => {
                eprintln!("eggsec: error: {e}");
                failed.push((root, e.to_string()));
            }
        }
    }
    if models.is_empty() && failed.is_empty() {
        bail!(eggsec_app::AppError::NotAnApp(args.path.clone()));
    }
    if models.is_empty() && failed.len() == 1 {
        bail!("{}", failed[0].1);
    }
    Ok((models, failed))
}

/// After a model command (`config`, `plugins`, `routes`) printed what it knows: when an app
/// found could not be loaded, or part of a loaded app could not be read or evaluated (both
/// already named on stderr as the apps were loaded), the command says so and exits 2 unless
/// `allow`: what it showed is not the whole app. `None` when the load was whole (or `allow`).
pub fn partial_load_exit(
    command: &str,
    models: &[AppModel],
    failed: &[FailedApp],
    allow: bool,
) -> Option<ExitCode> {
    let unread = models.iter().map(|m| m.unread().count()).sum::<usize>();
    if (failed.is_empty() && unread == 0) || allow {
        return None;
    }
    eprintln!(
        "eggsec: error: `{command}` shows a partial load ({} app{} not loaded, {unread} part{} not read or evaluated), so it exits 2; fix what could not be read, or pass --allow-partial",
        failed.len(),
        if failed.len() == 1 { "" } else { "s" },
        if unread == 1 { "" } else { "s" },
    );
    Some(ExitCode::from(2))
}

/// The nearest directory above `path` that is an Egg.js app, as a path the user can read
/// (`../..` when they gave a relative path).
pub fn app_root_above(path: &std::path::Path) -> Option<std::path::PathBuf> {
    let abs = std::fs::canonicalize(path).ok()?;
    let mut shown = path.to_path_buf();
    for dir in abs.ancestors().skip(1) {
        shown = if path.is_absolute() {
            dir.to_path_buf()
        } else {
            shown.join("..")
        };
        if eggsec_app::discover::is_app(dir) {
            return Some(if path.is_absolute() {
                dir.to_path_buf()
            } else {
                normalise_dots(&shown)
            });
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    None
}

/// `app/controller/../..` → `.`; `x/..` pairs removed lexically (the path was resolved above).
fn normalise_dots(p: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut parts: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return std::path::PathBuf::from(".");
    }
    parts.iter().collect()
}

/// Egg's built-in envs (`EGG_SERVER_ENV` values egg itself knows).
const BUILTIN_ENVS: [&str; 4] = ["local", "unittest", "prod", "default"];

/// The envs an app has config files for (`config/config.<env>.{js,ts,...}`), sorted.
pub fn app_envs(root: &std::path::Path) -> Vec<String> {
    let mut envs: Vec<String> = Vec::new();
    for dir in [root.join("config"), root.join("src/config")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix("config.") else {
                continue;
            };
            let Some((env, ext)) = rest.rsplit_once('.') else {
                continue;
            };
            if matches!(ext, "js" | "ts" | "cjs" | "mjs" | "cts" | "mts" | "json")
                && !env.is_empty()
                && !env.contains('.')
                && !envs.iter().any(|x| x == env)
            {
                envs.push(env.to_string());
            }
        }
    }
    envs.sort();
    envs
}

/// Warns once when `--env` names an env the app has no config file for and egg does not know.
fn warn_unknown_env(root: &std::path::Path, env: &str) {
    let envs = app_envs(root);
    if BUILTIN_ENVS.contains(&env) || envs.iter().any(|e| e == env) {
        return;
    }
    let suggestion = eggsec_rules::config::did_you_mean(
        env,
        envs.iter().map(String::as_str).chain(BUILTIN_ENVS),
    );
    eprintln!(
        "eggsec: warning: --env {env}: {} has no config/config.{env}.* and egg has no built-in env of that name{suggestion}; the app's envs: {}",
        root.display(),
        if envs.is_empty() {
            "none besides default".to_string()
        } else {
            envs.join(", ")
        }
    );
}

/// The validated `eggsec.toml` that applies to the app at `root` (none → defaults). A file that
/// cannot be used is an error (exit 2), named relative to the current directory.
pub fn load_settings(root: &std::path::Path) -> Result<eggsec_rules::config::Settings> {
    eggsec_rules::config::Settings::load_checked(root).map_err(|e| {
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| {
                e.path
                    .strip_prefix(cwd)
                    .ok()
                    .map(|p| p.display().to_string())
            })
            .unwrap_or_else(|| e.path.display().to_string());
        anyhow::anyhow!("{}", e.render(&shown))
    })
}

/// SARIF options for `command`: the docs base URL from the `eggsec.toml` that applies at `dir`.
pub fn sarif_options(command: &str, dir: &std::path::Path) -> Result<eggsec_report::SarifOptions> {
    let settings = load_settings(dir)?;
    Ok(eggsec_report::SarifOptions {
        command: command.to_string(),
        help_uri_base: settings
            .report
            .help_uri_base
            .unwrap_or_else(|| eggsec_report::DEFAULT_HELP_URI_BASE.to_string()),
        cwd: None,
    })
}

fn print_diagnostics(m: &AppModel) {
    for d in &m.diagnostics {
        if d.level == DiagnosticLevel::Info {
            continue;
        }
        let level = d.level.label();
        match &d.file {
            Some(f) if d.line > 0 => {
                eprintln!("eggsec: {level}: {}:{}: {}", f.display(), d.line, d.message)
            }
            Some(f) => eprintln!("eggsec: {level}: {}: {}", f.display(), d.message),
            None => eprintln!("eggsec: {level}: {}", d.message),
        }
    }
}

/// Writes `text` to `path` atomically (temp file in the same directory, then rename), or to stdout.
pub fn emit(text: &str, path: Option<&std::path::Path>) -> Result<()> {
    let text = crate::out::clean(text);
    emit_raw(&text, path)
}

/// Like [`emit`], without masking (data files such as an advisory database).
pub fn emit_raw(text: &str, path: Option<&std::path::Path>) -> Result<()> {
    use std::io::Write;
    match path {
        None => {
            crate::out::stdout_raw(text.as_bytes());
            if !text.ends_with('\n') {
                crate::out::stdout_raw(b"\n");
            }
            Ok(())
        }
        Some(p) => {
            // A device or pipe (`-o /dev/null`, `-o /dev/stdout`, a FIFO) is written to, never
            // replaced: the atomic rename below would swap the device for a regular file.
            if let Ok(m) = std::fs::metadata(p) {
                if m.is_dir() {
                    anyhow::bail!("{}: is a directory", p.display());
                }
                if !m.is_file() {
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .open(p)
                        .with_context(|| format!("opening {}", p.display()))?;
                    f.write_all(text.as_bytes())
                        .with_context(|| format!("writing {}", p.display()))?;
                    return Ok(());
                }
            }
            // A symlink to a report: the file it points to is replaced, the link stays.
            let target = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            let p = target.as_path();
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            // Reports are ordinary files: 0666 minus the umask (tempfile's default is 0600).
            let mut builder = tempfile::Builder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o666));
            }
            let mut tmp = builder
                .tempfile_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            tmp.write_all(text.as_bytes())?;
            tmp.persist(p)
                .with_context(|| format!("writing {}", p.display()))?;
            Ok(())
        }
    }
}
